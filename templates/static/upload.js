// Relais — attachments go straight from the browser to S3 (presigned POST), one progress bar
// per file. A failed file can be retried without losing the others or the typed text. Photos
// wider than 2,560 px are downscaled first: phone photos are large and mobile data is slow.
// Where the form names a check (data-check-url), the server checks each file as soon as its
// upload ends (where it is, its size, what its bytes are): a refused file says why on its line
// ("Refusé : …") and is never sent with the form.
"use strict";

(function () {
  var MAX_FILES = 10;
  var MAX_WIDTH = 2560;
  var TEXT = {
    fr: { retry: "Réessayer", remove: "Retirer", failed: "Échec de l'envoi", tooMany: "10 fichiers maximum par message.",
          wait: "Patientez : des fichiers sont encore en cours d'envoi.", done: "Envoyé", preparing: "Préparation…",
          checking: "Vérification…", refused: "Refusé : " },
    en: { retry: "Retry", remove: "Remove", failed: "Upload failed", tooMany: "No more than 10 files per message.",
          wait: "Please wait: some files are still uploading.", done: "Uploaded", preparing: "Preparing…",
          checking: "Checking…", refused: "Refused: " }
  };
  var t = TEXT[document.documentElement.lang] || TEXT.fr;

  function hiddenFields(form) {
    var params = new URLSearchParams();
    form.querySelectorAll("input[type=hidden]").forEach(function (input) {
      if (!input.closest("[data-upload-list]")) { params.append(input.name, input.value); }
    });
    return params;
  }

  function downscale(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      if (bitmap.width <= MAX_WIDTH) { return file; }
      var canvas = document.createElement("canvas");
      canvas.width = MAX_WIDTH;
      canvas.height = Math.round(bitmap.height * MAX_WIDTH / bitmap.width);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var name = file.name.replace(/\.[^.]+$/, "") + ".jpg";
          resolve(blob ? new File([blob], name, { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  function presign(form, file) {
    var params = hiddenFields(form);
    params.append("filename", file.name);
    params.append("content_type", file.type || "application/octet-stream");
    params.append("size", String(file.size));
    return fetch(form.dataset.uploadUrl, { method: "POST", body: params, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || t.failed); }
          return body;
        });
      });
  }

  function send(post, file, progress) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      Object.keys(post.fields).forEach(function (name) { data.append(name, post.fields[name]); });
      data.append("file", file);
      var request = new XMLHttpRequest();
      request.open("POST", post.url);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { progress.value = Math.round(100 * event.loaded / event.total); }
      });
      request.addEventListener("load", function () {
        if (request.status >= 200 && request.status < 300) { resolve(); } else { reject(new Error(t.failed)); }
      });
      request.addEventListener("error", function () { reject(new Error(t.failed)); });
      request.send(data);
    });
  }

  // The server's verdict on an uploaded file: resolves when accepted; a refusal is an Error whose
  // `refused` flag tells it from a failed request (which may be retried).
  function check(form, post, paperwork) {
    if (!form.dataset.checkUrl) { return Promise.resolve(); }
    var params = hiddenFields(form);
    params.append("key", post.key);
    params.append("name", post.name);
    if (paperwork) { params.append("paperwork", "1"); }
    return fetch(form.dataset.checkUrl, { method: "POST", body: params, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || t.failed); }
          if (body.accepted) { return; }
          var refusal = new Error(body.reason);
          refusal.refused = true;
          throw refusal;
        });
      });
  }

  function button(label, className) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "link " + className;
    element.textContent = label;
    return element;
  }

  function upload(form, item, original, field, paperwork) {
    var progress = item.querySelector("progress");
    var status = item.querySelector(".upload-status");
    item.className = "upload pending";
    progress.value = 0;
    status.textContent = t.preparing;
    item.querySelectorAll(".retry").forEach(function (element) { element.remove(); });
    refreshSubmit(form);
    return downscale(original).then(function (file) {
      return presign(form, file).then(function (post) {
        status.textContent = "";
        return send(post, file, progress).then(function () {
          status.textContent = form.dataset.checkUrl ? t.checking : "";
          return check(form, post, paperwork);
        }).then(function () {
          [["_key", post.key], ["_name", post.name]].forEach(function (pair) {
            var input = document.createElement("input");
            input.type = "hidden";
            input.name = field + pair[0];
            input.value = pair[1];
            item.appendChild(input);
          });
          progress.value = 100;
          status.textContent = t.done;
          item.className = "upload done";
          if (/^image\/(jpeg|png|webp)$/.test(file.type)) {
            var thumb = document.createElement("img");
            thumb.className = "upload-thumb";
            thumb.alt = "";
            thumb.src = URL.createObjectURL(file);
            item.insertBefore(thumb, item.firstChild);
          }
        });
      });
    }).catch(function (error) {
      if (error.refused) {  // the same file would be refused again: nothing to retry
        item.className = "upload failed refused";
        status.textContent = t.refused + error.message;
        return;
      }
      item.className = "upload failed";
      status.textContent = error.message || t.failed;
      var retry = button(t.retry, "retry");
      retry.addEventListener("click", function () { upload(form, item, original, field, paperwork); });
      item.appendChild(retry);
    }).then(function () { refreshSubmit(form); });
  }

  function refreshSubmit(form) {
    var pending = form.querySelectorAll(".upload.pending").length > 0;
    form.querySelectorAll("button[type=submit]").forEach(function (submit) { submit.disabled = pending; });
  }

  // One form may hold several file fields (proofs and invoice): each input names its field
  // (data-field, default "file") and its list is the [data-upload-list] right after it.
  function attachInput(form, input) {
    var list = input.parentNode.querySelector("[data-upload-list][data-for='" + input.id + "']");
    var field = input.dataset.field || "file";
    var paperwork = input.dataset.paperwork === "1";  // a quote's or an invoice's page: a PDF or a photo
    var limit = Number(input.dataset.max || MAX_FILES);
    if (!list) { return; }
    list.querySelectorAll(".upload.done").forEach(function (item) {  // kept by the server after an error
      var remove = button(t.remove, "remove");
      remove.addEventListener("click", function () { item.remove(); refreshSubmit(form); });
      item.appendChild(remove);
    });
    input.addEventListener("change", function () {
      if (limit === 1) {  // one file (a quote, an invoice): the new choice replaces the previous one
        list.querySelectorAll(".upload").forEach(function (item) { item.remove(); });
      }
      var already = list.querySelectorAll(".upload:not(.failed)").length;  // a failed one does not take a place
      Array.prototype.slice.call(input.files).forEach(function (file, index) {
        if (already + index >= limit) {
          if (index === limit - already) { window.alert(t.tooMany); }
          return;
        }
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.className = "upload-name";
        name.textContent = file.name;
        var progress = document.createElement("progress");
        progress.max = 100;
        var status = document.createElement("span");
        status.className = "upload-status";
        status.setAttribute("role", "status");
        var remove = button(t.remove, "remove");
        remove.addEventListener("click", function () { item.remove(); refreshSubmit(form); });
        item.append(name, progress, status, remove);
        list.appendChild(item);
        upload(form, item, file, field, paperwork);
      });
      input.value = "";
    });
  }

  function attach(form) {
    form.querySelectorAll("input[type=file][data-upload]").forEach(function (input) { attachInput(form, input); });
    form.addEventListener("submit", function (event) {
      if (form.querySelectorAll(".upload.pending").length > 0) {
        event.preventDefault();
        window.alert(t.wait);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload-url]").forEach(attach);
  });
})();
